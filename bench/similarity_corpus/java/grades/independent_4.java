import java.util.Scanner;

public class Marks {
    public static void main(String[] args) {
        Scanner reader = new Scanner(System.in);
        int total = reader.nextInt();
        int[] marks = new int[total];
        int max = Integer.MIN_VALUE;
        int s = 0;
        for (int i = 0; i < total; i++) {
            int m = reader.nextInt();
            marks[i] = m;
            s = s + m;
            max = Math.max(max, m);
        }
        double avg = s / (double) total;
        int better = 0;
        for (int m : marks) {
            if (m > avg) better++;
        }
        System.out.println("Average: " + avg);
        System.out.println("Best: " + max);
        System.out.println("Above average: " + better);
    }
}
