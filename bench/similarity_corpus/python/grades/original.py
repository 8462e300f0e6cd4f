import sys


def read_scores(text):
    numbers = text.split()
    count = int(numbers[0])
    return [int(x) for x in numbers[1 : count + 1]]


def summary(scores):
    total = 0
    best = scores[0]
    for score in scores:
        total += score
        if score > best:
            best = score
    average = total / len(scores)
    above = 0
    for score in scores:
        if score > average:
            above += 1
    return average, best, above


def main():
    scores = read_scores(sys.stdin.read())
    average, best, above = summary(scores)
    print("Average:", average)
    print("Best:", best)
    print("Above average:", above)


main()
