import java.util.Scanner;

public class BubbleSort {
    public static void sort(int[] arr) {
        int n = arr.length;
        boolean swapped = true;
        for (int pass = 0; pass < n - 1 && swapped; pass++) {
            swapped = false;
            for (int i = 0; i < n - 1 - pass; i++) {
                if (arr[i] > arr[i + 1]) {
                    int tmp = arr[i];
                    arr[i] = arr[i + 1];
                    arr[i + 1] = tmp;
                    swapped = true;
                }
            }
        }
    }

    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        int n = sc.nextInt();
        int[] numbers = new int[n];
        for (int i = 0; i < n; i++) {
            numbers[i] = sc.nextInt();
        }
        sort(numbers);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append(numbers[i]);
            if (i < n - 1) {
                out.append(" ");
            }
        }
        System.out.println(out);
        System.out.println("Median: " + numbers[n / 2]);
    }
}
