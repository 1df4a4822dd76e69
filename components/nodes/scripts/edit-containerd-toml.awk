# SETTINGS: one line per key, "table TAB key TAB value TAB inherit-from"; an empty value takes the
# same key's value in the inherit-from table, or leaves the key out when that has none.
# REGISTRY_TABLE: the table holding config_path; CERTS_DIR: where hosts.toml files live.
# BEFORE: the SETTINGS of the last run, in the same form; ORIGINAL: the node's config.toml from
# before the stack (a path; empty when the node had none). A key of a table BEFORE sets and SETTINGS
# no longer does goes back to ORIGINAL's line for it, or is removed when ORIGINAL has none. A table
# left without lines goes, header and the blank lines before it, when ORIGINAL has no such header:
# the stack wrote it (an empty table the node made stays); a table's lines other than the stack's
# keys (comments, the node's keys) keep it.
function fail(message) {
	print "config.toml: " message > "/dev/stderr"
	failed = 1
	exit 2
}
# The table a header line opens, without blanks; "" for any other line.
function table_of(line) {
	if (line !~ /^[ \t]*\[/) return ""
	sub(/^[ \t]*\[/, "", line)
	sub(/\][ \t]*(#.*)?$/, "", line)
	gsub(/[ \t]/, "", line)
	return line
}
function key_of(line) {
	if (line !~ /^[ \t]*[A-Za-z0-9_-]+[ \t]*=/) return ""
	sub(/^[ \t]*/, "", line)
	sub(/[ \t]*=.*$/, "", line)
	return line
}
# Reads "table TAB key TAB value TAB inherit-from" lines into tables, keys, values and inherits.
function read_settings(text, tables, keys, values, inherits,   lines, nlines, fields, i, n) {
	nlines = split(text, lines, "\n")
	n = 0
	for (i = 1; i <= nlines; i++) {
		if (lines[i] == "") continue
		if (split(lines[i], fields, "\t") != 4) fail("bad setting line " i)
		n++
		tables[n] = fields[1]; keys[n] = fields[2]; values[n] = fields[3]; inherits[n] = fields[4]
	}
	return n
}
# Notes in undo[table, key] what BEFORE set and SETTINGS no longer does.
function plan_undo(   tables, keys, values, inherits, n, j) {
	n = read_settings(ENVIRON["BEFORE"], tables, keys, values, inherits)
	for (j = 1; j <= n; j++)
		if (!((tables[j], keys[j]) in wanted_key)) { undo[tables[j], keys[j]] = 1; undo_table[tables[j]] = 1 }
}
# The node's config.toml from before the stack: its tables into original_table, the first line
# of each key into original_line[table, key].
function read_original(   path, line, table, key) {
	path = ENVIRON["ORIGINAL"]
	if (path == "") return
	table = ""
	while ((getline line < path) > 0) {
		if (table_of(line) != "") { table = table_of(line); original_table[table] = 1; continue }
		key = key_of(line)
		if (key != "" && !((table, key) in original_line)) original_line[table, key] = line
	}
	close(path)
}
# Whether the line of key in table goes: the stack sets the key this run, or takes it out.
function dropped(table, key) {
	return (table, key) in wanted_key || (table, key) in undo && !((table, key) in original_line)
}
function print_settings(table, indent,   j) {
	for (j = 1; j <= nsettings; j++)
		if (setting_table[j] == table && setting_value[j] != "") print indent "  " setting_key[j] " = " setting_value[j]
}
BEGIN {
	nsettings = read_settings(ENVIRON["SETTINGS"], setting_table, setting_key, setting_value, setting_inherit)
	for (j = 1; j <= nsettings; j++) { wanted[setting_table[j]] = 1; wanted_key[setting_table[j], setting_key[j]] = 1 }
	plan_undo()
	read_original()
	registry = ENVIRON["REGISTRY_TABLE"]
	move = ", which containerd refuses next to config_path: move it to " ENVIRON["CERTS_DIR"] "/<host>/hosts.toml"
}
FNR == NR {
	table = table_of($0)
	if (table != "") {
		current = table
		if (index(table, registry ".mirrors.") == 1) fail("[" table "] configures a registry mirror inline" move)
		if (index(table, registry ".configs.") == 1 && table ~ /\.tls$/) fail("[" table "] configures registry TLS inline" move)
		if (table in undo_table && !(table in wanted) && !(table in original_table)) emptied[table] = 1
		next
	}
	key = key_of($0)
	if (key != "") { value = $0; sub(/^[^=]*=[ \t]*/, "", value); known[current, key] = value }
	if ($0 !~ /^[ \t]*$/ && !(key != "" && dropped(current, key))) delete emptied[current]
	next
}
FNR == 1 {
	for (j = 1; j <= nsettings; j++)
		if (setting_value[j] == "" && (setting_inherit[j], setting_key[j]) in known) setting_value[j] = known[setting_inherit[j], setting_key[j]]
	current = ""
	blanks = ""
}
# Blank lines wait for the next line printed: those before a table that goes, go with it.
/^[ \t]*$/ { blanks = blanks $0 "\n"; next }
{
	table = table_of($0)
	if (table != "") {
		current = table
		if (table in emptied) { blanks = ""; next }
		printf "%s", blanks
		blanks = ""
		print
		if (table in wanted) {
			indent = $0
			sub(/[^ \t].*$/, "", indent)
			print_settings(table, indent)
			written[table] = 1
		}
		next
	}
	if (current in emptied) next
	key = key_of($0)
	if (key != "" && dropped(current, key)) next
	printf "%s", blanks
	blanks = ""
	if (key != "" && (current, key) in undo) print original_line[current, key]
	else print
}
END {
	if (failed) exit 2
	printf "%s", blanks
	for (j = 1; j <= nsettings; j++) {
		if (setting_table[j] in written) continue
		print ""
		print "[" setting_table[j] "]"
		print_settings(setting_table[j], "")
		written[setting_table[j]] = 1
	}
}
