import java.util.*;

public class Mirror {
    public static void main(String[] args) {
        Scanner s = new Scanner(System.in);
        List<String> lines = new ArrayList<>();
        while (s.hasNextLine()) lines.add(s.nextLine());
        for (String text : lines) {
            Deque<Character> stack = new ArrayDeque<>();
            List<Character> queue = new ArrayList<>();
            for (char c : text.toLowerCase().toCharArray()) {
                if (Character.isLetterOrDigit(c)) {
                    stack.push(c);
                    queue.add(c);
                }
            }
            boolean same = true;
            for (char c : queue) {
                if (stack.pop() != c) { same = false; break; }
            }
            System.out.println(same ? "YES" : "NO");
        }
    }
}
