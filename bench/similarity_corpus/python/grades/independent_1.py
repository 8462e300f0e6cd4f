import statistics
import sys

data = list(map(int, sys.stdin.read().split()))[1:]
mean = statistics.mean(data)
print(f"Average: {mean:.2f}")
print(f"Best: {max(data)}")
print(f"Above average: {sum(1 for d in data if d > mean)}")
