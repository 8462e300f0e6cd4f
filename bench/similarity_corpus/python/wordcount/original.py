import sys


def count_words(text):
    counts = {}
    total = 0
    for word in text.split():
        word = word.lower()
        if word in counts:
            counts[word] = counts[word] + 1
        else:
            counts[word] = 1
        total += 1
    return counts, total


def most_common(counts):
    top = None
    top_count = 0
    for word in sorted(counts):
        if counts[word] > top_count:
            top = word
            top_count = counts[word]
    return top, top_count


def main():
    counts, total = count_words(sys.stdin.read())
    top, top_count = most_common(counts)
    print("Words:", total)
    print("Distinct:", len(counts))
    print("Most common:", top, "(" + str(top_count) + ")")


main()
