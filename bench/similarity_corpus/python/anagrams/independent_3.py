import sys


def key_of(word):
    return "".join(sorted(c for c in word.lower() if c.isalpha()))


words = sys.stdin.read().split()
groups = {}
for w in words:
    k = key_of(w)
    groups.setdefault(k, []).append(w)
biggest = 0
for k in sorted(groups):
    if len(groups[k]) > 1:
        print(" ".join(sorted(groups[k])))
    biggest = max(biggest, len(groups[k]))
print("Groups:", len(groups))
print("Largest:", biggest)
