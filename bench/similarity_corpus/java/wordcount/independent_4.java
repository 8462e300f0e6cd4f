import java.util.*;

public class Words {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        HashMap<String, Integer> map = new HashMap<>();
        int n = 0;
        while (in.hasNext()) {
            String w = in.next().toLowerCase();
            map.put(w, map.getOrDefault(w, 0) + 1);
            n++;
        }
        List<String> keys = new ArrayList<>(map.keySet());
        Collections.sort(keys);
        String best = "";
        int bestCount = -1;
        for (String k : keys) {
            if (map.get(k) > bestCount) {
                bestCount = map.get(k);
                best = k;
            }
        }
        System.out.println("Words: " + n);
        System.out.println("Distinct: " + map.size());
        System.out.println("Most common: " + best + " (" + bestCount + ")");
    }
}
