# bash completion for carpd(8): the subcommands, the options of the daemon
# and of each subcommand, and the values they take.

# _carpd_files completes file names, with bash-completion's _filedir when
# it is there.
_carpd_files() {
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}

_carpd() {
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion -s || return
	else # without the bash-completion package
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	fi

	local daemon_opts="--interface --srcip --mcast --mcastip --vhid --pass
		--passfile --preempt --neutral --addr --help --advbase --advskew
		--upscript --downscript --deadratio --debug --shutdown --daemonize
		--ignoreifstate --nomcast --facility --xparam --config --control
		--http --manage-vips --pidfile --tiebreak --source-mac
		--script-timeout --secure --version
		-i -s -m -v -p -o -P -n -a -h -b -k -u -d -r -D -z -B -S -M -f -x -c"
	local subcommands="status handover demote reload inspect lab"

	# The subcommand, if the first word is one.
	local sub=""
	if [[ $cword -gt 1 && " $subcommands " == *" ${words[1]} "* ]]; then
		sub=${words[1]}
	fi

	case $prev in
	-i | --interface)
		COMPREPLY=($(compgen -W "$(command ls /sys/class/net 2>/dev/null)" -- "$cur"))
		return ;;
	-o | --passfile | -u | --upscript | -d | --downscript | --pidfile)
		_carpd_files
		return ;;
	-c | --config)
		_carpd_files toml
		return ;;
	--control)
		_carpd_files
		return ;;
	-f | --facility)
		COMPREPLY=($(compgen -W "none auth authpriv cron daemon ftp kern lpr mail news security syslog user uucp local0 local1 local2 local3 local4 local5 local6 local7" -- "$cur"))
		return ;;
	--tiebreak)
		COMPREPLY=($(compgen -W "ucarp bsd" -- "$cur"))
		return ;;
	--source-mac)
		COMPREPLY=($(compgen -W "real ucarp bsd" -- "$cur"))
		return ;;
	-s | --srcip | -m | --mcast | --mcastip | -v | --vhid | -p | --pass | -a | --addr | -b | --advbase | -k | --advskew | -r | --deadratio | -x | --xparam | --http | --script-timeout | --reason)
		return ;;
	esac

	case $sub in
	"")
		if [[ $cword -eq 1 && $cur != -* ]]; then
			COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$daemon_opts" -- "$cur"))
		fi ;;
	status)
		COMPREPLY=($(compgen -W "--json --control" -- "$cur")) ;;
	handover | reload)
		COMPREPLY=($(compgen -W "--control" -- "$cur")) ;;
	demote)
		COMPREPLY=($(compgen -W "--reason --clear --control" -- "$cur")) ;;
	inspect)
		if [[ $prev == -i || $prev == --interface ]]; then
			return
		fi
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-p --pass -o --passfile -a --addr --json -i --interface -h --help" -- "$cur"))
		else
			_carpd_files '@(pcap|pcapng|gz)'
		fi ;;
	lab)
		COMPREPLY=($(compgen -W "-v" -- "$cur")) ;;
	esac
} && complete -F _carpd carpd
