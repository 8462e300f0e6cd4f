import java.util.*;

public class Main {
    static void insertionSort(int[] a) {
        for (int i = 1; i < a.length; i++) {
            int key = a[i];
            int j = i - 1;
            while (j >= 0 && a[j] > key) {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = key;
        }
    }

    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int size = in.nextInt();
        int[] v = new int[size];
        for (int k = 0; k < size; k++) v[k] = in.nextInt();
        insertionSort(v);
        System.out.println(Arrays.toString(v).replaceAll("[\\[\\],]", ""));
        System.out.println("Median: " + v[size / 2]);
    }
}
