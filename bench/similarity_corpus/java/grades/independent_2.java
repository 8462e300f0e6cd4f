import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;

public class Statistics {
    public static void main(String[] args) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(System.in));
        String[] parts = reader.readLine().trim().split("\\s+");
        int[] data = new int[parts.length];
        for (int k = 0; k < parts.length; k++) data[k] = Integer.parseInt(parts[k]);
        java.util.Arrays.sort(data);
        long total = 0;
        for (int value : data) {
            total = total + value;
        }
        double avg = total / (double) data.length;
        int idx = data.length - 1;
        int countAbove = 0;
        while (idx >= 0 && data[idx] > avg) {
            countAbove++;
            idx--;
        }
        System.out.println("Average: " + avg);
        System.out.println("Best: " + data[data.length - 1]);
        System.out.println("Above average: " + countAbove);
    }
}
