import sys

lo, hi = (int(v) for v in sys.stdin.readline().split())
sieve = [True] * (hi + 1)
sieve[0:2] = [False, False]
p = 2
while p * p <= hi:
    if sieve[p]:
        sieve[p * p :: p] = [False] * len(range(p * p, hi + 1, p))
    p += 1
primes = [i for i in range(max(lo, 0), hi + 1) if sieve[i]]
print(*primes)
print("Count:", len(primes), "sum:", sum(primes))
