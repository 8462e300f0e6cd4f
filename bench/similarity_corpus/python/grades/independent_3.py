import sys


def main():
    values = [int(x) for x in sys.stdin.read().split()]
    n = values[0]
    scores = values[1 : n + 1]
    total = 0
    top = None
    for s in scores:
        total = total + s
        if top is None or s > top:
            top = s
    mean = total / n
    count = 0
    for s in scores:
        if s > mean:
            count = count + 1
    print("Average:", mean)
    print("Best:", top)
    print("Above average:", count)


main()
