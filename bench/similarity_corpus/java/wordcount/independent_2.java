import java.io.*;
import java.util.*;

public class Frequencies {
    public static void main(String[] args) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(System.in));
        String[] keys = new String[1000];
        int[] hits = new int[1000];
        int distinct = 0, all = 0;
        String line;
        while ((line = reader.readLine()) != null) {
            for (String token : line.trim().split("\\s+")) {
                if (token.isEmpty()) continue;
                token = token.toLowerCase();
                all++;
                int pos = -1;
                for (int i = 0; i < distinct; i++) if (keys[i].equals(token)) { pos = i; break; }
                if (pos < 0) { keys[distinct] = token; hits[distinct] = 1; distinct++; }
                else hits[pos]++;
            }
        }
        int winner = 0;
        for (int i = 1; i < distinct; i++) {
            if (hits[i] > hits[winner] || (hits[i] == hits[winner] && keys[i].compareTo(keys[winner]) < 0)) winner = i;
        }
        System.out.println("Words: " + all + "\nDistinct: " + distinct);
        System.out.println("Most common: " + keys[winner] + " (" + hits[winner] + ")");
    }
}
