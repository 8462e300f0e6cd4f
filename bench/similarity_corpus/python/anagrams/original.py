import sys


def signature(word):
    letters = []
    for ch in word.lower():
        if ch.isalpha():
            letters.append(ch)
    letters.sort()
    return "".join(letters)


def group_anagrams(words):
    groups = {}
    for word in words:
        key = signature(word)
        if key not in groups:
            groups[key] = []
        groups[key].append(word)
    return groups


def main():
    words = sys.stdin.read().split()
    groups = group_anagrams(words)
    largest = 0
    for key in sorted(groups):
        members = groups[key]
        if len(members) > 1:
            print(" ".join(sorted(members)))
        if len(members) > largest:
            largest = len(members)
    print("Groups:", len(groups))
    print("Largest:", largest)


main()
