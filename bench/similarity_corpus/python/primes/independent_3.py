import sys

first, last = [int(t) for t in sys.stdin.read().split()]
primes = []
for n in range(first, last + 1):
    if n < 2:
        continue
    prime = True
    k = 2
    while k * k <= n:
        if n % k == 0:
            prime = False
            break
        k = k + 1
    if prime:
        primes.append(n)
print(" ".join(map(str, primes)))
print("Count:", len(primes), "sum:", sum(primes))
