import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        while (sc.hasNextLine()) {
            String word = sc.nextLine().replaceAll("[^A-Za-z0-9]", "").toLowerCase();
            String reversed = new StringBuilder(word).reverse().toString();
            System.out.println(word.equals(reversed) ? "YES" : "NO");
        }
    }
}
