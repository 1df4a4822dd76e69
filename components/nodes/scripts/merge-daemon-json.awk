# SETTINGS: one line per setting, "key TAB member TAB value", key and member as JSON strings and
# value as JSON text. An empty member replaces the key's value; a member sets one entry of an
# object-valued key and keeps its other entries; the member [] adds the elements of an array value
# that the key's array lacks, after the node's own (a node keeps trusting its own registries).
# BEFORE: the SETTINGS of the last run, in the same form; ORIGINAL: the node's daemon.json from
# before the stack (a path; empty when the node had none). What BEFORE sets and SETTINGS no longer
# does is undone first: an element of a [] key is removed unless ORIGINAL's array has it; a member
# or a whole key goes back to ORIGINAL's value, or is removed when ORIGINAL has none (and a key
# emptied so that ORIGINAL lacks it goes too). Only keys the file still has are touched.
function fail(message) {
	print "daemon.json: " message > "/dev/stderr"
	failed = 1
	exit 2
}
function trim(s) {
	sub(/^[ \t\r\n]+/, "", s)
	sub(/[ \t\r\n]+$/, "", s)
	return s
}
function skip_space() {
	while (pos <= len && index(" \t\r\n", substr(text, pos, 1)) > 0) pos++
}
function skip_string() {
	pos++
	while (pos <= len) {
		ch = substr(text, pos, 1)
		if (ch == "\\") pos += 2
		else if (ch == "\"") { pos++; return }
		else pos++
	}
	fail("unterminated string")
}
# Moves pos to the end of the value starting there: the next ',' '}' or ']' outside it.
function skip_value(   depth) {
	depth = 0
	while (pos <= len) {
		ch = substr(text, pos, 1)
		if (ch == "\"") { skip_string(); continue }
		if (ch == "{" || ch == "[") depth++
		else if (ch == "}" || ch == "]") { if (depth == 0) return; depth-- }
		else if (ch == "," && depth == 0) return
		pos++
	}
	fail("unexpected end of the file")
}
# Splits a JSON object into names[1..n] (quoted, as written) and values[1..n] (JSON text).
function split_object(object, names, values,   count, start) {
	text = object; len = length(text); pos = 1; count = 0
	skip_space()
	if (substr(text, pos, 1) != "{") fail("expected a JSON object")
	pos++; skip_space()
	if (substr(text, pos, 1) == "}") pos++
	else while (1) {
		skip_space()
		if (substr(text, pos, 1) != "\"") fail("expected a quoted key")
		start = pos; skip_string(); names[++count] = substr(text, start, pos - start)
		skip_space()
		if (substr(text, pos, 1) != ":") fail("expected ':' after " names[count])
		pos++; skip_space()
		start = pos; skip_value(); values[count] = trim(substr(text, start, pos - start))
		if (values[count] == "") fail("expected a value for " names[count])
		ch = substr(text, pos, 1); pos++
		if (ch == "}") break
		if (ch != ",") fail("expected ',' or '}' after the value of " names[count])
	}
	skip_space()
	if (pos <= len) fail("unexpected text after the object")
	return count
}
# Splits a JSON array into elements[1..n] (JSON text, as written).
function split_array(array, elements,   count, start) {
	text = array; len = length(text); pos = 1; count = 0
	skip_space()
	if (substr(text, pos, 1) != "[") fail("expected a JSON array")
	pos++; skip_space()
	if (substr(text, pos, 1) == "]") pos++
	else while (1) {
		skip_space()
		start = pos; skip_value(); elements[++count] = trim(substr(text, start, pos - start))
		if (elements[count] == "") fail("expected an array element")
		ch = substr(text, pos, 1); pos++
		if (ch == "]") break
		if (ch != ",") fail("expected ',' or ']' after an array element")
	}
	return count
}
# The node's array with the elements of added it lacks appended; its own text when it lacks none,
# so a second run changes no byte. A value that is not an array is replaced.
function union(current, added,   mine, extra, have, count, n, i, grew) {
	if (substr(current, 1, 1) != "[") return added
	count = split_array(current, mine)
	n = split_array(added, extra)
	for (i = 1; i <= count; i++) have[mine[i]] = 1
	grew = 0
	for (i = 1; i <= n; i++)
		if (!(extra[i] in have)) { mine[++count] = extra[i]; have[extra[i]] = 1; grew = 1 }
	return grew ? array_text(mine, count) : current
}
function array_text(elements, count,   i, out) {
	out = ""
	for (i = 1; i <= count; i++) out = out (i > 1 ? "," : "") elements[i]
	return "[" out "]"
}
# The object (a new one when it is not an object) with the member settings of key applied.
function merge_members(key, object,   names, values, count, i, j, done) {
	count = (substr(object, 1, 1) == "{") ? split_object(object, names, values) : 0
	for (i = 1; i <= count; i++)
		for (j = 1; j <= nsettings; j++)
			if (setting_key[j] == key && setting_member[j] == names[i]) { values[i] = setting_value[j]; done[j] = 1 }
	for (j = 1; j <= nsettings; j++)
		if (setting_key[j] == key && setting_member[j] != "" && !(j in done)) { names[++count] = setting_member[j]; values[count] = setting_value[j] }
	return object_text(names, values, count)
}
# An object-valued key's value in the layout merge_members writes.
function object_text(names, values, count,   i, out) {
	out = "{"
	for (i = 1; i <= count; i++) out = out (i > 1 ? "," : "") "\n    " names[i] ": " values[i]
	return out "\n  }"
}
function merged(key, current,   j) {
	for (j = 1; j <= nsettings; j++)
		if (setting_key[j] == key) {
			if (setting_member[j] == "") return setting_value[j]
			if (setting_member[j] == "[]") return union(current, setting_value[j])
			return merge_members(key, current)
		}
}
# Reads "key TAB member TAB value" lines into keys, members and values; returns their count.
function read_settings(lines_text, keys, members, values,   lines, nlines, fields, i, n) {
	nlines = split(lines_text, lines, "\n")
	n = 0
	for (i = 1; i <= nlines; i++) {
		if (lines[i] == "") continue
		if (split(lines[i], fields, "\t") != 3) fail("bad setting line " i)
		n++
		keys[n] = fields[1]; members[n] = fields[2]; values[n] = fields[3]
	}
	return n
}
# Whether SETTINGS still sets member of key: "" the whole key, "[]" element of its array.
function still_set(key, member, element,   j, n, i, elements) {
	for (j = 1; j <= nsettings; j++) {
		if (setting_key[j] != key) continue
		if (member == "" || setting_member[j] == "" || setting_member[j] == member && member != "[]") return 1
		if (member == "[]" && setting_member[j] == "[]") {
			n = split_array(setting_value[j], elements)
			for (i = 1; i <= n; i++) if (elements[i] == element) return 1
		}
	}
	return 0
}
# Notes in undo_key, undo_member and undo_element what BEFORE set and SETTINGS no longer does.
function plan_undo(   before_key, before_member, before_value, n, j, elements, count, i) {
	n = read_settings(ENVIRON["BEFORE"], before_key, before_member, before_value)
	for (j = 1; j <= n; j++) {
		if (before_member[j] == "[]") {
			count = split_array(before_value[j], elements)
			for (i = 1; i <= count; i++)
				if (!still_set(before_key[j], "[]", elements[i])) { undo_element[before_key[j], elements[i]] = 1; undo_key[before_key[j]] = 1 }
		} else if (!still_set(before_key[j], before_member[j], "")) {
			undo_member[before_key[j], before_member[j]] = 1; undo_key[before_key[j]] = 1
		}
	}
}
# The node's daemon.json from before the stack, into original[name] = value.
function read_original(   path, line, text_read, names, values, count, i) {
	path = ENVIRON["ORIGINAL"]
	text_read = ""
	if (path != "") {
		while ((getline line < path) > 0) text_read = text_read line "\n"
		close(path)
	}
	if (text_read ~ /^[ \t\r\n]*$/) text_read = "{}"
	count = split_object(text_read, names, values)
	for (i = 1; i <= count; i++) original[names[i]] = values[i]
}
# Undoes in entry i of the file (names, values) what plan_undo noted for its key; gone[i] when
# the entry goes.
function undo(i,   key, had, changed, mine, kept, n, count, j, theirs, their_names, their_values, their_count, members, member_values, out_names, out_values) {
	key = names[i]
	had = key in original
	if ((key SUBSEP "") in undo_member) {
		if (had) { values[i] = original[key] } else gone[i] = 1
		return
	}
	if (substr(values[i], 1, 1) == "[") {
		if (had && substr(original[key], 1, 1) == "[") {
			their_count = split_array(original[key], theirs)
			for (j = 1; j <= their_count; j++) kept[theirs[j]] = 1
		}
		count = split_array(values[i], mine)
		n = 0
		for (j = 1; j <= count; j++)
			if (!((key SUBSEP mine[j]) in undo_element) || mine[j] in kept) out_values[++n] = mine[j]
		if (n == count) return
		if (n == 0 && !had && !(key in wanted)) { gone[i] = 1 } else values[i] = array_text(out_values, n)
	} else if (substr(values[i], 1, 1) == "{") {
		their_count = (had && substr(original[key], 1, 1) == "{") ? split_object(original[key], their_names, their_values) : 0
		for (j = 1; j <= their_count; j++) kept[their_names[j]] = their_values[j]
		count = split_object(values[i], members, member_values)
		n = 0
		changed = 0
		for (j = 1; j <= count; j++) {
			if (!((key SUBSEP members[j]) in undo_member)) { out_names[++n] = members[j]; out_values[n] = member_values[j]; continue }
			changed = 1
			if (members[j] in kept) { out_names[++n] = members[j]; out_values[n] = kept[members[j]] }
		}
		if (!changed) return
		if (n == 0 && !had && !(key in wanted)) { gone[i] = 1 } else values[i] = object_text(out_names, out_values, n)
	}
}
BEGIN {
	nsettings = read_settings(ENVIRON["SETTINGS"], setting_key, setting_member, setting_value)
	for (j = 1; j <= nsettings; j++) wanted[setting_key[j]] = 1
	plan_undo()
	read_original()
	input = ""
	while ((getline line) > 0) input = input line "\n"
	if (input ~ /^[ \t\r\n]*$/) input = "{}"
	count = split_object(input, names, values)
	for (i = 1; i <= count; i++) {
		if (names[i] in undo_key) undo(i)
		if (names[i] in wanted) { values[i] = merged(names[i], values[i]); placed[names[i]] = 1 }
	}
	for (j = 1; j <= nsettings; j++)
		if (!(setting_key[j] in placed)) { names[++count] = setting_key[j]; values[count] = merged(setting_key[j], ""); placed[setting_key[j]] = 1 }
	out = "{"
	n = 0
	for (i = 1; i <= count; i++) if (!(i in gone)) out = out (n++ > 0 ? "," : "") "\n  " names[i] ": " values[i]
	print (n > 0 ? out "\n}" : "{}")
}
END { if (failed) exit 2 }
