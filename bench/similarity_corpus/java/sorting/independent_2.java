import java.io.*;
import java.util.*;

public class MergeSorter {
    static int[] mergeSort(int[] xs) {
        if (xs.length <= 1) return xs;
        int mid = xs.length / 2;
        int[] left = mergeSort(Arrays.copyOfRange(xs, 0, mid));
        int[] right = mergeSort(Arrays.copyOfRange(xs, mid, xs.length));
        int[] merged = new int[xs.length];
        int p = 0, q = 0, w = 0;
        while (p < left.length || q < right.length) {
            if (q >= right.length || (p < left.length && left[p] <= right[q])) merged[w++] = left[p++];
            else merged[w++] = right[q++];
        }
        return merged;
    }

    public static void main(String[] args) throws IOException {
        BufferedReader br = new BufferedReader(new InputStreamReader(System.in));
        int count = Integer.parseInt(br.readLine().trim());
        int[] values = Arrays.stream(br.readLine().trim().split(" ")).mapToInt(Integer::parseInt).toArray();
        int[] sorted = mergeSort(values);
        StringJoiner sj = new StringJoiner(" ");
        for (int x : sorted) sj.add(Integer.toString(x));
        System.out.println(sj);
        System.out.println("Median: " + sorted[count / 2]);
    }
}
