# SETTINGS: one line per key, "table TAB key TAB value TAB inherit-from"; an empty value takes the
# same key's value in the inherit-from table, or leaves the key out when that has none.
# REGISTRY_TABLE: the table holding config_path; CERTS_DIR: where hosts.toml files live.
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
function print_settings(table, indent,   j) {
	for (j = 1; j <= nsettings; j++)
		if (setting_table[j] == table && setting_value[j] != "") print indent "  " setting_key[j] " = " setting_value[j]
}
BEGIN {
	nlines = split(ENVIRON["SETTINGS"], lines, "\n")
	for (i = 1; i <= nlines; i++) {
		if (lines[i] == "") continue
		if (split(lines[i], fields, "\t") != 4) fail("bad setting line " i)
		nsettings++
		setting_table[nsettings] = fields[1]; setting_key[nsettings] = fields[2]
		setting_value[nsettings] = fields[3]; setting_inherit[nsettings] = fields[4]
		wanted[fields[1]] = 1
		wanted_key[fields[1], fields[2]] = 1
	}
	registry = ENVIRON["REGISTRY_TABLE"]
	move = ", which containerd refuses next to config_path: move it to " ENVIRON["CERTS_DIR"] "/<host>/hosts.toml"
}
FNR == NR {
	table = table_of($0)
	if (table != "") {
		current = table
		if (index(table, registry ".mirrors.") == 1) fail("[" table "] configures a registry mirror inline" move)
		if (index(table, registry ".configs.") == 1 && table ~ /\.tls$/) fail("[" table "] configures registry TLS inline" move)
		next
	}
	key = key_of($0)
	if (key != "") { value = $0; sub(/^[^=]*=[ \t]*/, "", value); known[current, key] = value }
	next
}
FNR == 1 {
	for (j = 1; j <= nsettings; j++)
		if (setting_value[j] == "" && (setting_inherit[j], setting_key[j]) in known) setting_value[j] = known[setting_inherit[j], setting_key[j]]
	current = ""
}
{
	table = table_of($0)
	if (table != "") {
		current = table
		print
		if (table in wanted) {
			indent = $0
			sub(/[^ \t].*$/, "", indent)
			print_settings(table, indent)
			written[table] = 1
		}
		next
	}
	key = key_of($0)
	if (!(key != "" && (current, key) in wanted_key)) print
}
END {
	if (failed) exit 2
	for (j = 1; j <= nsettings; j++) {
		if (setting_table[j] in written) continue
		print ""
		print "[" setting_table[j] "]"
		print_settings(setting_table[j], "")
		written[setting_table[j]] = 1
	}
}
