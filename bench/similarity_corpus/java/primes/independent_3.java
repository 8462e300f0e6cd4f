import java.io.*;
import java.util.StringTokenizer;

public class PrimeRange {
    static boolean prime(int value) {
        if (value <= 1) return false;
        if (value <= 3) return true;
        if (value % 2 == 0 || value % 3 == 0) return false;
        for (int i = 5; i * i <= value; i += 6) {
            if (value % i == 0 || value % (i + 2) == 0) return false;
        }
        return true;
    }

    public static void main(String[] args) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
        StringTokenizer st = new StringTokenizer(r.readLine());
        int lo = Integer.parseInt(st.nextToken());
        int hi = Integer.parseInt(st.nextToken());
        int n = 0;
        long acc = 0;
        StringBuilder line = new StringBuilder();
        for (int i = lo; i <= hi; i++) {
            if (!prime(i)) continue;
            n += 1;
            acc += i;
            line.append(i).append(" ");
        }
        System.out.println(line);
        System.out.println("Count: " + n + ", sum: " + acc);
    }
}
