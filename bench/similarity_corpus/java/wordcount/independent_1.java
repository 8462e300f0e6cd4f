import java.util.*;
import java.util.stream.*;

public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        List<String> words = new ArrayList<>();
        while (in.hasNext()) words.add(in.next().toLowerCase());
        Map<String, Long> freq = words.stream().collect(Collectors.groupingBy(w -> w, TreeMap::new, Collectors.counting()));
        Map.Entry<String, Long> best = null;
        for (Map.Entry<String, Long> e : freq.entrySet()) {
            if (best == null || e.getValue() > best.getValue()) best = e;
        }
        System.out.println("Words: " + words.size());
        System.out.println("Distinct: " + freq.size());
        System.out.println("Most common: " + best.getKey() + " (" + best.getValue() + ")");
    }
}
