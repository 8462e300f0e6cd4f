import java.util.*;

public class Counter {
    private final TreeMap<String, Integer> table = new TreeMap<>();
    private int seen;

    void add(String word) {
        table.merge(word.toLowerCase(), 1, Integer::sum);
        seen++;
    }

    String mostCommon() {
        String answer = "";
        int most = -1;
        for (Map.Entry<String, Integer> entry : table.entrySet()) {
            if (entry.getValue() > most) { most = entry.getValue(); answer = entry.getKey(); }
        }
        return answer + " (" + most + ")";
    }

    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        Counter counter = new Counter();
        while (sc.hasNext()) counter.add(sc.next());
        System.out.println("Words: " + counter.seen);
        System.out.println("Distinct: " + counter.table.size());
        System.out.println("Most common: " + counter.mostCommon());
    }
}
