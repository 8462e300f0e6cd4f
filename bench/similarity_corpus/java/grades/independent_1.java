import java.util.*;

public class Main {
    static double mean(List<Integer> values) {
        double total = 0;
        for (int v : values) total += v;
        return values.isEmpty() ? 0 : total / values.size();
    }

    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        int count = sc.nextInt();
        List<Integer> marks = new ArrayList<>();
        while (marks.size() < count) {
            marks.add(sc.nextInt());
        }
        double m = mean(marks);
        System.out.printf("Average: %.2f%n", m);
        System.out.println("Best: " + Collections.max(marks));
        long higher = marks.stream().filter(x -> x > m).count();
        System.out.println("Above average: " + higher);
    }
}
