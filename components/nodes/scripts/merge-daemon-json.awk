# SETTINGS: one line per setting, "key TAB member TAB value", key and member as JSON strings and
# value as JSON text. An empty member replaces the key's value; a member sets one entry of an
# object-valued key and keeps its other entries; the member [] adds the elements of an array value
# that the key's array lacks, after the node's own (a node keeps trusting its own registries).
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
function union(current, added,   mine, extra, have, count, n, i, out) {
	if (substr(current, 1, 1) != "[") return added
	count = split_array(current, mine)
	n = split_array(added, extra)
	for (i = 1; i <= count; i++) have[mine[i]] = 1
	out = ""
	for (i = 1; i <= n; i++)
		if (!(extra[i] in have)) { out = out "," extra[i]; have[extra[i]] = 1 }
	if (out == "") return current
	for (i = count; i >= 1; i--) out = "," mine[i] out
	return "[" substr(out, 2) "]"
}
# The object (a new one when it is not an object) with the member settings of key applied.
function merge_members(key, object,   names, values, count, i, j, done, out) {
	count = (substr(object, 1, 1) == "{") ? split_object(object, names, values) : 0
	for (i = 1; i <= count; i++)
		for (j = 1; j <= nsettings; j++)
			if (setting_key[j] == key && setting_member[j] == names[i]) { values[i] = setting_value[j]; done[j] = 1 }
	for (j = 1; j <= nsettings; j++)
		if (setting_key[j] == key && setting_member[j] != "" && !(j in done)) { names[++count] = setting_member[j]; values[count] = setting_value[j] }
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
BEGIN {
	nlines = split(ENVIRON["SETTINGS"], lines, "\n")
	for (i = 1; i <= nlines; i++) {
		if (lines[i] == "") continue
		if (split(lines[i], fields, "\t") != 3) fail("bad setting line " i)
		nsettings++
		setting_key[nsettings] = fields[1]; setting_member[nsettings] = fields[2]; setting_value[nsettings] = fields[3]
		wanted[fields[1]] = 1
	}
	input = ""
	while ((getline line) > 0) input = input line "\n"
	if (input ~ /^[ \t\r\n]*$/) input = "{}"
	count = split_object(input, names, values)
	for (i = 1; i <= count; i++)
		if (names[i] in wanted) { values[i] = merged(names[i], values[i]); placed[names[i]] = 1 }
	for (j = 1; j <= nsettings; j++)
		if (!(setting_key[j] in placed)) { names[++count] = setting_key[j]; values[count] = merged(setting_key[j], ""); placed[setting_key[j]] = 1 }
	out = "{"
	for (i = 1; i <= count; i++) out = out (i > 1 ? "," : "") "\n  " names[i] ": " values[i]
	print (count > 0 ? out "\n}" : "{}")
}
END { if (failed) exit 2 }
