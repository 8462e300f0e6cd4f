import java.util.Scanner;

public class ScoreReport {
    private int[] values;

    ScoreReport(int[] values) { this.values = values; }

    int highest() {
        int h = Integer.MIN_VALUE;
        for (int v : values) h = Math.max(h, v);
        return h;
    }

    double average() {
        int s = 0;
        for (int v : values) s += v;
        return s * 1.0 / values.length;
    }

    int countAbove(double limit) {
        int c = 0;
        for (int v : values) if (v > limit) c++;
        return c;
    }

    public static void main(String[] args) {
        Scanner scan = new Scanner(System.in);
        int size = scan.nextInt();
        int[] arr = new int[size];
        for (int j = 0; j < size; ++j) arr[j] = scan.nextInt();
        ScoreReport report = new ScoreReport(arr);
        double a = report.average();
        System.out.println("Average: " + a + "\nBest: " + report.highest());
        System.out.println("Above average: " + report.countAbove(a));
    }
}
