import java.util.Scanner;

public class Primes {
    public static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        for (int d = 2; d * d <= n; d++) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }

    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        int low = sc.nextInt();
        int high = sc.nextInt();
        int count = 0;
        long sum = 0;
        for (int x = low; x <= high; x++) {
            if (isPrime(x)) {
                count++;
                sum += x;
                System.out.print(x + " ");
            }
        }
        System.out.println();
        System.out.println("Count: " + count + ", sum: " + sum);
    }
}
