"""Prints one fenced code block of a Markdown file, so a lit test can diff
what the docs show against what the tool prints.

    python3 readme-block.py FILE --after 'COMMAND'    the first ```text block
                                                      after the ```sh block
                                                      that is exactly COMMAND
    python3 readme-block.py FILE --starting 'LINE'    the first block whose
                                                      first line is LINE

Exits 1 with a message when there is no such block. python/tests/test_readme.py
imports `blocks` to run the README's blocks.
"""

import sys


def blocks(text):
    """(language, body) of every fenced block, in order."""
    out, lang, body = [], None, []
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if lang is None:
                lang, body = line[3:].strip(), []
            else:
                out.append((lang, "".join(body)))
                lang = None
        elif lang is not None:
            body.append(line)
    return out


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("--after", "--starting"):
        sys.exit("usage: readme-block.py FILE --after COMMAND | --starting LINE")
    path, mode, key = sys.argv[1:]
    with open(path) as f:
        found = blocks(f.read())
    for i, (lang, body) in enumerate(found):
        if mode == "--after" and lang == "sh" and body.strip() == key:
            following = [b for lng, b in found[i + 1:i + 2] if lng == "text"]
            if following:
                sys.stdout.write(following[0])
                return
        if mode == "--starting" and body.split("\n", 1)[0] == key:
            sys.stdout.write(body)
            return
    sys.exit(f"{path}: no block {mode} {key!r}")


if __name__ == "__main__":
    main()
