import java.util.Scanner;

public class Sieve {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int a = in.nextInt(), b = in.nextInt();
        boolean[] composite = new boolean[b + 1];
        composite[0] = true;
        if (b >= 1) composite[1] = true;
        for (int p = 2; (long) p * p <= b; p++) {
            if (!composite[p]) {
                for (int m = p * p; m <= b; m += p) composite[m] = true;
            }
        }
        StringBuilder out = new StringBuilder();
        int found = 0;
        long total = 0;
        for (int v = Math.max(a, 0); v <= b; v++) {
            if (!composite[v]) { out.append(v).append(' '); found++; total += v; }
        }
        System.out.println(out.toString().trim());
        System.out.println("Count: " + found + ", sum: " + total);
    }
}
