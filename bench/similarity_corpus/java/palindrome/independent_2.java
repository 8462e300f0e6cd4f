import java.io.*;

public class Check {
    static boolean check(char[] chars, int from, int to) {
        if (from >= to) return true;
        if (chars[from] != chars[to]) return false;
        return check(chars, from + 1, to - 1);
    }

    public static void main(String[] args) throws IOException {
        BufferedReader br = new BufferedReader(new InputStreamReader(System.in));
        String row;
        while ((row = br.readLine()) != null) {
            StringBuilder letters = new StringBuilder();
            for (char ch : row.toCharArray()) {
                if (Character.isLetter(ch) || Character.isDigit(ch)) letters.append(Character.toLowerCase(ch));
            }
            char[] arr = letters.toString().toCharArray();
            String answer = check(arr, 0, arr.length - 1) ? "YES" : "NO";
            System.out.println(answer);
        }
    }
}
