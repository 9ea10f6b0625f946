"""Why tying ShuffleNetV2's channels by index is no fix for its uneven halves
(findings/shufflenet-uneven-halves.py): follows channel labels (root layer,
channel) through the stages of tests/fixtures/corpus/shufflenet_v2_narrow
(stage repeats 4, 8, 4 at 16, 32, 64 channels) and unions, as a plan that
PyTorch could slice by index would have to, the channels that each
`chunk(2)` puts at the same position of its halves and each channel
shuffle puts at the same position of its two parts. Prints the tie sets:

    python3 findings/shufflenet-index-ties.py
    tie sets by size: {40: 5, 144: 1} over 344 channels

Six sets, so nearly nothing could be pruned. What PyTorch needs is weaker:
equal kept counts in both halves of a chunk and both parts of a shuffle,
and kept indices of the shuffle's two parts that interleave (or an
apply_report that slices consumers in the shuffle's order).
"""

from collections import Counter

parent = {}


def find(x):
    parent.setdefault(x, x)
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def union(a, b):
    parent[find(a)] = find(b)


roots = 0


def new(n):
    """The output channels of a new layer."""
    global roots
    roots += 1
    return [(roots, i) for i in range(n)]


def shuffle(t, groups=2):
    n = len(t) // groups
    for b in range(n):
        for a in range(1, groups):
            union(t[b], t[a * n + b])
    return [t[a * n + b] for b in range(n) for a in range(groups)]


def chunk2(t):
    half = len(t) // 2
    for p in range(half):
        union(t[p], t[p + half])
    return t[:half], t[half:]


def main():
    for repeats, width in zip([4, 8, 4], [16, 32, 64]):
        y = shuffle(new(width // 2) + new(width // 2))  # stride 2: both branches are new layers
        for _ in range(repeats - 1):
            x1, _x2 = chunk2(y)  # x2 feeds branch2, whose output is a new layer
            y = shuffle(x1 + new(width // 2))
    sizes = Counter(Counter(find(c) for c in list(parent)).values())
    print("tie sets by size:", dict(sorted(sizes.items())), "over", len(parent), "channels")


if __name__ == "__main__":
    main()
