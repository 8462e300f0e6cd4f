import sys
from collections import defaultdict


def main():
    table = defaultdict(int)
    seen = 0
    for line in sys.stdin:
        for token in line.strip().lower().split():
            table[token] += 1
            seen += 1
    ranked = sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))
    print("Words:", seen)
    print("Distinct:", len(table))
    best, n = ranked[0]
    print("Most common: %s (%d)" % (best, n))


if __name__ == "__main__":
    main()
