// The one main() of every test executable (Boost.Test, shared library).
#define BOOST_TEST_MODULE thinkplan
#include <boost/test/unit_test.hpp>
