import sys
from collections import Counter

words = sys.stdin.read().lower().split()
freq = Counter(words)
word, hits = min(freq.items(), key=lambda item: (-item[1], item[0]))
print(f"Words: {len(words)}")
print(f"Distinct: {len(freq)}")
print(f"Most common: {word} ({hits})")
