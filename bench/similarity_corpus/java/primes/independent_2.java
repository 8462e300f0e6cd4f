import java.util.*;

public class Main {
    public static void main(String[] args) {
        Scanner scanner = new Scanner(System.in);
        int from = scanner.nextInt();
        int to = scanner.nextInt();
        List<Integer> primes = new ArrayList<>();
        int candidate = Math.max(2, from);
        while (candidate <= to) {
            boolean prime = true;
            for (int p : primes) {
                if (p * p > candidate) break;
                if (candidate % p == 0) { prime = false; break; }
            }
            if (prime) {
                int d = 2;
                while (d * d <= candidate && prime) {
                    if (candidate % d == 0) prime = false;
                    d++;
                }
            }
            if (prime) primes.add(candidate);
            candidate++;
        }
        long s = primes.stream().mapToLong(Integer::longValue).sum();
        for (int p : primes) System.out.print(p + " ");
        System.out.println("\nCount: " + primes.size() + ", sum: " + s);
    }
}
