import sys


class Report:
    def __init__(self, marks):
        self.marks = sorted(marks)

    def average(self):
        return sum(self.marks) / len(self.marks)

    def highest(self):
        return self.marks[-1]

    def above(self, limit):
        i = len(self.marks) - 1
        n = 0
        while i >= 0 and self.marks[i] > limit:
            n += 1
            i -= 1
        return n


if __name__ == "__main__":
    tokens = sys.stdin.read().split()
    report = Report(int(t) for t in tokens[1:])
    avg = report.average()
    print("Average:", avg)
    print("Best:", report.highest())
    print("Above average:", report.above(avg))
