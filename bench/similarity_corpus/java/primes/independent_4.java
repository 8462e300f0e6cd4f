import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        Scanner s = new Scanner(System.in);
        int start = s.nextInt();
        int end = s.nextInt();
        int primes = 0;
        long total = 0;
        String list = "";
        for (int n = start; n <= end; n++) {
            if (n < 2) continue;
            boolean prime = true;
            for (int k = 2; k <= Math.sqrt(n); k++) {
                if (n % k == 0) {
                    prime = false;
                    break;
                }
            }
            if (prime) {
                list += n + " ";
                primes++;
                total += n;
            }
        }
        System.out.println(list.trim());
        System.out.println("Count: " + primes + ", sum: " + total);
    }
}
