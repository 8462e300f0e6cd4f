import sys


def letter_counts(word):
    counts = [0] * 26
    for ch in word.lower():
        if "a" <= ch <= "z":
            counts[ord(ch) - ord("a")] += 1
    return tuple(counts)


class Index:
    def __init__(self):
        self.groups = []
        self.keys = []

    def add(self, word):
        key = letter_counts(word)
        for position, existing in enumerate(self.keys):
            if existing == key:
                self.groups[position].append(word)
                return
        self.keys.append(key)
        self.groups.append([word])


index = Index()
for token in sys.stdin.read().split():
    index.add(token)
for group in sorted(index.groups, key=lambda g: sorted(g)[0]):
    if len(group) >= 2:
        print(" ".join(sorted(group)))
print("Groups:", len(index.groups))
print("Largest:", max((len(g) for g in index.groups), default=0))
