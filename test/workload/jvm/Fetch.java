// Fetches each URL with java.net.URL, as Spark does for a remote mainFile and Ivy for packages, and
// prints one line per URL: "<url> <status> <first line of the body>" or "<url> error <exception>".
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URL;

public class Fetch {
  public static void main(String[] args) {
    for (String url : args) {
      try {
        HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
        connection.setConnectTimeout(5000);
        connection.setReadTimeout(5000);
        int status = connection.getResponseCode();
        try (BufferedReader body = new BufferedReader(new InputStreamReader(connection.getInputStream()))) {
          System.out.println(url + " " + status + " " + body.readLine());
        }
      } catch (Exception e) {
        System.out.println(url + " error " + e.getClass().getSimpleName());
      }
    }
  }
}
