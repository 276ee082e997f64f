// Counts words with std::map and std::vector, sorts them and prints with
// iostream: enough of the C++ standard library to pull libstdc++ and
// libgcc_s into a dynamic closure.
#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char **argv) {
    std::string text = "the quick brown fox jumps over the lazy dog the fox";
    if (argc > 1) {
        text.clear();
        for (int i = 1; i < argc; i++) {
            if (i > 1) text += ' ';
            text += argv[i];
        }
    }
    std::map<std::string, int> counts;
    std::istringstream in(text);
    for (std::string word; in >> word;) counts[word]++;

    std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto &a, const auto &b) { return a.second > b.second; });
    for (const auto &[word, n] : sorted) std::cout << word << ' ' << n << '\n';
    return 0;
}
