import java.util.Scanner;

public class Grades {
    public static void main(String[] args) {
        Scanner input = new Scanner(System.in);
        int n = input.nextInt();
        int[] scores = new int[n];
        int sum = 0, best = 0;
        for (int i = 0; i < n; i++) {
            scores[i] = input.nextInt();
            sum += scores[i];
            if (scores[i] > best) {
                best = scores[i];
            }
        }
        double average = (double) sum / n;
        int above = 0;
        for (int i = 0; i < n; i++) {
            if (scores[i] > average) {
                above++;
            }
        }
        System.out.println("Average: " + average);
        System.out.println("Best: " + best);
        System.out.println("Above average: " + above);
    }
}
