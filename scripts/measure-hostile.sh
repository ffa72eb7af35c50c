#!/bin/sh
# Runs cnnfilter on the files scripts/make-hostile-inputs.py writes and prints,
# for each, the exit status, the peak resident memory (GNU time), the length of
# the error message in lines and characters, and its first 160 characters.
#
#     sh scripts/measure-hostile.sh [DIR] [path/to/cnnfilter]
set -u
dir=${1:-/tmp/cnnfilter-hostile}
bin=${2:-.build/debug/cnnfilter}
kernel=identity
for f in ragged-wide.txt ragged-tall.txt ragged-two.txt long-token.txt crlf.txt ragged.kernel crlf.kernel \
         interlaced-huge.png interlaced-8000.png maybe.npy; do
    case $f in
        *.kernel) set -- "$dir/crlf.txt" --kernel "$dir/$f" --print ;;
        *.png) set -- "$dir/$f" --kernel $kernel -o "$dir/out.png" ;;
        *) set -- "$dir/$f" --kernel $kernel --print ;;
    esac
    /usr/bin/time -f '%M' -o "$dir/time.txt" "$bin" "$@" >"$dir/stdout.txt" 2>"$dir/stderr.txt"
    status=$?
    rss=$(tail -n 1 "$dir/time.txt")
    lines=$(wc -l <"$dir/stderr.txt")
    chars=$(wc -c <"$dir/stderr.txt")
    printf '%-20s status %s  peak %6d MB  stdout %s bytes  stderr %s lines %s chars: %.160s\n' \
        "$f" "$status" $((rss / 1024)) "$(wc -c <"$dir/stdout.txt")" "$lines" "$chars" \
        "$(tr '\r\n' '^|' <"$dir/stderr.txt" | cut -c1-160)"
done
rm -f "$dir/out.png"
