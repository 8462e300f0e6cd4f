import sys


def is_prime(n):
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


def main():
    low, high = map(int, sys.stdin.read().split())
    found = []
    total = 0
    for x in range(low, high + 1):
        if is_prime(x):
            found.append(x)
            total += x
    print(" ".join(str(p) for p in found))
    print("Count:", len(found), "sum:", total)


main()
