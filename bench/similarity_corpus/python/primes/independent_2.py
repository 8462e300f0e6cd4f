import math
import sys


def primes_between(a, b):
    for value in range(max(a, 2), b + 1):
        if all(value % k for k in range(2, math.isqrt(value) + 1)):
            yield value


if __name__ == "__main__":
    a, b = map(int, sys.stdin.read().split())
    result = list(primes_between(a, b))
    print(" ".join(map(str, result)))
    print("Count:", len(result), "sum:", sum(result))
