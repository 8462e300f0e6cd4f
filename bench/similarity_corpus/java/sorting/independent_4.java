import java.util.Scanner;

public class Sorter {
    public static void main(String[] args) {
        Scanner input = new Scanner(System.in);
        int count = input.nextInt();
        int[] a = new int[count];
        for (int i = 0; i < count; i++) a[i] = input.nextInt();
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < count - i - 1; j++) {
                if (a[j + 1] < a[j]) {
                    int t = a[j + 1];
                    a[j + 1] = a[j];
                    a[j] = t;
                }
            }
        }
        for (int i = 0; i < count; i++) {
            System.out.print(a[i]);
            System.out.print(i == count - 1 ? "\n" : " ");
        }
        System.out.println("Median: " + a[count / 2]);
    }
}
