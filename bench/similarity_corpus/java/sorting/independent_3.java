import java.util.Scanner;

public class Selection {
    public static void main(String[] args) {
        Scanner scan = new Scanner(System.in);
        int len = scan.nextInt();
        int[] data = new int[len];
        for (int i = 0; i < len; i++) data[i] = scan.nextInt();
        for (int start = 0; start < len; start++) {
            int smallest = start;
            for (int j = start + 1; j < len; j++) {
                if (data[j] < data[smallest]) smallest = j;
            }
            if (smallest != start) {
                int keep = data[start];
                data[start] = data[smallest];
                data[smallest] = keep;
            }
        }
        String result = "";
        for (int i = 0; i < len; i++) result += (i > 0 ? " " : "") + data[i];
        System.out.println(result);
        System.out.println("Median: " + data[len / 2]);
    }
}
