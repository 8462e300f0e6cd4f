import java.util.Scanner;

public class Mult {
    public static void main(String[] args) {
        Scanner s = new Scanner(System.in);
        int ar = s.nextInt();
        int ac = s.nextInt();
        int[] a = new int[ar * ac];
        int i = 0;
        while (i < a.length) a[i++] = s.nextInt();
        int br = s.nextInt();
        int bc = s.nextInt();
        int[] b = new int[br * bc];
        i = 0;
        while (i < b.length) a_b(b, i++, s);
        if (ac == br) {
            int row = 0;
            while (row < ar) {
                String out = "";
                for (int col = 0; col < bc; col++) {
                    int dot = 0;
                    for (int k = 0; k < ac; k++) dot += a[row * ac + k] * b[k * bc + col];
                    out += (col == 0 ? "" : " ") + dot;
                }
                System.out.println(out);
                row++;
            }
        } else {
            System.out.println("Cannot multiply");
        }
    }

    static void a_b(int[] target, int index, Scanner s) { target[index] = s.nextInt(); }
}
