import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        while (sc.hasNextLine()) {
            String raw = sc.nextLine().toLowerCase();
            String letters = "";
            for (char c : raw.toCharArray()) {
                if (Character.isLetterOrDigit(c)) letters += c;
            }
            boolean ok = true;
            int n = letters.length();
            for (int i = 0; i < n / 2; i++) {
                if (letters.charAt(i) != letters.charAt(n - 1 - i)) {
                    ok = false;
                    break;
                }
            }
            System.out.println(ok ? "YES" : "NO");
        }
    }
}
