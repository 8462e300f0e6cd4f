import java.util.HashMap;
import java.util.Map;
import java.util.Scanner;

public class WordCount {
    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        Map<String, Integer> counts = new HashMap<>();
        int total = 0;
        while (sc.hasNext()) {
            String word = sc.next().toLowerCase();
            if (counts.containsKey(word)) {
                counts.put(word, counts.get(word) + 1);
            } else {
                counts.put(word, 1);
            }
            total++;
        }
        String top = null;
        int topCount = 0;
        for (String w : counts.keySet()) {
            int c = counts.get(w);
            if (c > topCount || (c == topCount && w.compareTo(top) < 0)) {
                top = w;
                topCount = c;
            }
        }
        System.out.println("Words: " + total);
        System.out.println("Distinct: " + counts.size());
        System.out.println("Most common: " + top + " (" + topCount + ")");
    }
}
