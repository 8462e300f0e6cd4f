import sys

freq = {}
n = 0
for w in sys.stdin.read().split():
    w = w.lower()
    freq[w] = freq.get(w, 0) + 1
    n += 1
best = None
for w in sorted(freq):
    if best is None or freq[w] > freq[best]:
        best = w
print("Words:", n)
print("Distinct:", len(freq))
print("Most common:", best, "(" + str(freq[best]) + ")")
