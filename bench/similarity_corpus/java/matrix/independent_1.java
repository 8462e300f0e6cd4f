import java.util.*;

public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int n1 = in.nextInt(), m1 = in.nextInt();
        long[][] first = new long[n1][m1];
        for (long[] row : first) for (int j = 0; j < m1; j++) row[j] = in.nextLong();
        int n2 = in.nextInt(), m2 = in.nextInt();
        long[][] second = new long[n2][m2];
        for (long[] row : second) for (int j = 0; j < m2; j++) row[j] = in.nextLong();
        if (m1 != n2) { System.out.println("Cannot multiply"); return; }
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < n1; r++) {
            StringJoiner joiner = new StringJoiner(" ");
            for (int c = 0; c < m2; c++) {
                long cell = 0;
                for (int x = 0; x < m1; x++) cell += first[r][x] * second[x][c];
                joiner.add(String.valueOf(cell));
            }
            sb.append(joiner).append('\n');
        }
        System.out.print(sb);
    }
}
