#!/bin/sh
# Add ChatKit Desktop to your applications menu (or take it out again), for the current user only.
#
# Run it from the unpacked bundle, where it sits next to the `chatkit-desktop` executable:
#
#     ./install-desktop-entry.sh              # menu entry + icons, starting this copy of the app
#     ./install-desktop-entry.sh --uninstall  # remove the menu entry and the icons again
#
# It writes into ${XDG_DATA_HOME:-~/.local/share}: applications/chatkit-desktop.desktop, whose
# Exec= is the absolute path of this bundle's executable, and icons/hicolor/*/apps/chatkit-desktop.*
# from the bundle's share/ folder. No root rights are needed, nothing outside that folder is
# touched. Move the bundle elsewhere? Run the script again from the new place.
set -eu

APP=chatkit-desktop

usage() {
    cat <<EOF
Usage: $0 [--uninstall]

Installs the ChatKit Desktop menu entry and icons for the current user, pointing at
this bundle's executable. With --uninstall, removes them again.
EOF
}

uninstall=false
for arg in "$@"; do
    case "$arg" in
        --uninstall) uninstall=true ;;
        -h | --help) usage; exit 0 ;;
        *) echo "$0: unknown option: $arg" >&2; usage >&2; exit 2 ;;
    esac
done

# The data folder: $XDG_DATA_HOME if it is set to an absolute path (the spec ignores relative
# ones), else ~/.local/share.
case "${XDG_DATA_HOME:-}" in
    /*) data_home=$XDG_DATA_HOME ;;
    *)
        if [ -z "${HOME:-}" ]; then
            echo "$0: neither XDG_DATA_HOME nor HOME is set: nowhere to install" >&2
            exit 1
        fi
        data_home=$HOME/.local/share
        ;;
esac
applications=$data_home/applications
hicolor=$data_home/icons/hicolor

refresh_caches() {
    # Optional helpers: menus and icon themes pick the changes up without them, only later.
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$applications" 2>/dev/null || true
    fi
    if [ -d "$hicolor" ]; then
        touch "$hicolor" 2>/dev/null || true
        if command -v gtk-update-icon-cache >/dev/null 2>&1; then
            # -t: a per-user hicolor folder has no index.theme of its own.
            gtk-update-icon-cache -q -t -f "$hicolor" 2>/dev/null || true
        fi
    fi
}

if [ "$uninstall" = true ]; then
    removed=0
    if [ -e "$applications/$APP.desktop" ]; then
        rm -f "$applications/$APP.desktop"
        echo "Removed $applications/$APP.desktop"
        removed=$((removed + 1))
    fi
    for icon in "$hicolor"/*/apps/"$APP".png "$hicolor"/*/apps/"$APP".svg; do
        [ -e "$icon" ] || continue
        rm -f "$icon"
        echo "Removed $icon"
        removed=$((removed + 1))
    done
    refresh_caches
    if [ "$removed" -eq 0 ]; then
        echo "ChatKit Desktop was not installed in $data_home: nothing to remove."
    else
        echo "ChatKit Desktop is no longer in the applications menu."
    fi
    exit 0
fi

# The bundle is the folder this script is in (symbolic links resolved).
bundle=$(cd "$(dirname "$0")" && pwd -P)
executable=$bundle/$APP
entry=$bundle/share/applications/$APP.desktop
icons=$bundle/share/icons/hicolor

if [ ! -x "$executable" ]; then
    echo "$0: $executable not found: run this script from the unpacked ChatKit Desktop bundle" >&2
    exit 1
fi
if [ ! -f "$entry" ]; then
    echo "$0: $entry not found: the bundle is incomplete" >&2
    exit 1
fi
case "$executable" in
    *'
'*)
        echo "$0: the bundle's path contains a line break; move it to a plainer folder first" >&2
        exit 1
        ;;
    *%*)
        # Written correctly below (%%), but GLib-based menus (GNOME, ...) look for the
        # executable under the undoubled name and then hide the entry.
        echo "$0: warning: the bundle's path contains %: some menus (GNOME) will not show" \
            "the entry; a folder without % avoids that" >&2
        ;;
esac

# Exec= per the Desktop Entry Specification: an argument holding anything beyond plain path
# characters goes in double quotes, with ", `, $ and \ escaped by a backslash inside them, and %
# doubled (it starts field codes). Then the string-value escaping applies to the whole value:
# every backslash is doubled once more.
exec_arg=$executable
case "$exec_arg" in
    *[!A-Za-z0-9_./+,:@=-]*)
        exec_arg=$(printf '%s\n' "$exec_arg" | sed -e 's/[\\"`$]/\\&/g')
        exec_arg="\"$exec_arg\""
        ;;
esac
exec_value=$(printf '%s\n' "$exec_arg" | sed -e 's/%/%%/g' -e 's/\\/\\\\/g')
# TryExec= is a plain string (no quoting): the menu hides the entry once the bundle is gone.
tryexec_value=$(printf '%s\n' "$executable" | sed -e 's/\\/\\\\/g')

mkdir -p "$applications"
tmp=$applications/.$APP.desktop.$$
trap 'rm -f "$tmp"' EXIT
EXEC_VALUE=$exec_value TRYEXEC_VALUE=$tryexec_value awk '
    /^\[/ { in_main = ($0 == "[Desktop Entry]") }
    in_main && /^TryExec=/ { next }
    in_main && /^Exec=/ {
        print "TryExec=" ENVIRON["TRYEXEC_VALUE"]
        print "Exec=" ENVIRON["EXEC_VALUE"]
        next
    }
    { print }
' "$entry" >"$tmp"
chmod 644 "$tmp"
mv -f "$tmp" "$applications/$APP.desktop"
trap - EXIT
echo "Installed $applications/$APP.desktop (starts $executable)"

count=0
for icon in "$icons"/*/apps/"$APP".png "$icons"/*/apps/"$APP".svg; do
    [ -f "$icon" ] || continue
    size_dir=$(basename "$(dirname "$(dirname "$icon")")")
    mkdir -p "$hicolor/$size_dir/apps"
    cp -f "$icon" "$hicolor/$size_dir/apps/"
    chmod 644 "$hicolor/$size_dir/apps/$(basename "$icon")"
    count=$((count + 1))
done
if [ "$count" -eq 0 ]; then
    echo "$0: warning: no icons under $icons: the menu entry will have a generic icon" >&2
else
    echo "Installed $count icons into $hicolor"
fi

refresh_caches
echo "ChatKit Desktop is in the applications menu. Remove it with: $0 --uninstall"
