import sys
from collections import defaultdict

buckets = defaultdict(list)
for w in sys.stdin.read().split():
    buckets[tuple(sorted(c for c in w.lower() if c.isalpha()))].append(w)
for key in sorted(buckets, key=lambda k: "".join(k)):
    if len(buckets[key]) > 1:
        print(*sorted(buckets[key]))
print("Groups:", len(buckets))
print("Largest:", max(map(len, buckets.values()), default=0))
