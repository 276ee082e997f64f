#include <iostream>
#include <stdexcept>

// Throwing pulls in libgcc_s (unwinding) next to libstdc++.
int main() {
	try {
		throw std::runtime_error("C++");
	} catch (const std::exception &e) {
		std::cout << "hello from " << e.what() << std::endl;
	}
	return 0;
}
